// Imported first by the entry point, for its effect: see sizeThreadPool.
import { sizeThreadPool } from './thread-pool';

sizeThreadPool();
