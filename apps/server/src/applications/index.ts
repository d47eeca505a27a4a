export { ApplicationsModule } from './applications.module';
export { ApplicationsService, type CreatedApplication } from './applications.service';
export { Application } from './application.entity';
