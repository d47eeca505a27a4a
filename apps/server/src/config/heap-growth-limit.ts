// Imported by the entry point, for its effect: see limitHeapGrowth.
import { limitHeapGrowth } from './heap-growth';

limitHeapGrowth();
