export { MetricsModule } from './metrics.module';
export { Metrics, type FeedStreamCount } from './metrics';
export { httpMetrics } from './http-metrics';
