export { MetricsModule } from './metrics.module';
export { Metrics } from './metrics';
export { httpMetrics } from './http-metrics';
