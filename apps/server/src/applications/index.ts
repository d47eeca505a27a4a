export { ApplicationsModule, APPLICATIONS_ENTITIES } from './applications.module';
export { ApplicationsService, type CreatedApplication } from './applications.service';
export { Application } from './application.entity';
