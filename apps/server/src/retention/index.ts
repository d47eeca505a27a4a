export { RetentionModule } from './retention.module';
export { RetentionService } from './retention.service';
export type { PrunedTable, PruneCounts } from './retention.repository';
