export { RateLimitModule, RATE_LIMIT_ENTITIES } from './rate-limit.module';
export { RateLimitService } from './rate-limit.service';
export {
  RateLimit,
  RateLimitGuard,
  RATE_LIMIT_SUBJECTS,
  type RateLimitSubjects,
  type RequestLimit,
} from './rate-limit.guard';
