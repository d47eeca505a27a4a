import { Injectable } from '@nestjs/common';

/** Set once start-up work (migrations, system setup, the bootstrap file) is done. */
@Injectable()
export class Readiness {
  isStarted = false;
}
