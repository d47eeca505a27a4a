import { ordersConfig, startOrders } from './app';

startOrders(ordersConfig(process.env)).catch((err: Error) => {
  process.stderr.write(`example-orders could not start: ${err.message}\n`);
  process.exit(1);
});
