import { prepareTemplate } from './test-database';

/** Runs once in the parent process; workers inherit process.env (and so the state file's path). */
export default async function globalSetup(): Promise<void> {
  await prepareTemplate(
    process.env.DATABASE_URL || undefined,
    process.env.DATABASE_DIRECT_URL || undefined,
  );
}
