export { BootstrapModule } from './bootstrap.module';
export { BootstrapService, type BootstrapSummary } from './bootstrap.service';
export { readBootstrapFile } from './bootstrap-file';
