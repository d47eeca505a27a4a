// Tables: @tanstack/react-table owns sorting and pagination, react-aria-components renders an
// accessible grid (keyboard navigation, aria-sort, row headers).
import { useMemo, useState, type ReactNode } from 'react';
import { Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import type { SortDescriptor } from 'react-aria-components';
import {
  createColumnHelper,
  createPaginatedRowModel,
  createSortedRowModel,
  rowPaginationFeature,
  rowSortingFeature,
  sortFn_alphanumeric,
  tableFeatures,
  useTable,
  type PaginationState,
  type RowData,
  type SortingState,
} from '@tanstack/react-table';
import { Button } from './ui';

const features = tableFeatures({
  rowSortingFeature,
  sortedRowModel: createSortedRowModel(),
  rowPaginationFeature,
  paginatedRowModel: createPaginatedRowModel(),
  sortFns: { alphanumeric: sortFn_alphanumeric },
});

export interface ColumnSpec<T extends RowData> {
  id: string;
  header: string;
  /** What sorting compares; columns without it do not sort. */
  sortValue?: (row: T) => string | number;
  cell: (row: T) => ReactNode;
  isRowHeader?: boolean;
  /** The row's actions: shown right after the row header when rows are cards. */
  isActions?: boolean;
}

export function DataTable<T extends RowData>(p: {
  label: string;
  rows: T[];
  columns: ColumnSpec<T>[];
  rowId: (row: T) => string;
  empty: ReactNode;
  initialSort?: { id: string; desc: boolean };
  pageSize?: number;
  /** Enter (or a click outside a link or button) on a row: open it. */
  onRowAction?: (row: T) => void;
  /**
   * On a narrow screen (styles.css, max-width 760px) each row is a card: every cell on its own
   * line under its column's name, the actions right under the row header, nothing to the right.
   */
  hasCardsWhenNarrow?: boolean;
}) {
  const [sorting, setSorting] = useState<SortingState>(p.initialSort ? [p.initialSort] : []);
  const [pagination, setPagination] = useState<PaginationState>({
    pageIndex: 0,
    pageSize: p.pageSize ?? 25,
  });
  const helper = useMemo(() => createColumnHelper<typeof features, T>(), []);
  const specs = p.columns;
  const columns = useMemo(
    () =>
      helper.columns(
        specs.map((c) =>
          helper.accessor((row: T) => (c.sortValue ? c.sortValue(row) : ''), {
            id: c.id,
            header: c.header,
            enableSorting: !!c.sortValue,
            sortFn: 'alphanumeric',
          }),
        ),
      ),
    [helper, specs],
  );
  const table = useTable({
    features,
    columns,
    data: p.rows,
    getRowId: (row: T) => p.rowId(row),
    state: { sorting, pagination },
    onSortingChange: setSorting,
    onPaginationChange: setPagination,
    autoResetPageIndex: false,
  });
  const rows = table.getRowModel().rows;
  const pageCount = Math.max(1, table.getPageCount());
  const sortDescriptor: SortDescriptor | undefined = sorting[0]
    ? { column: sorting[0].id, direction: sorting[0].desc ? 'descending' : 'ascending' }
    : undefined;
  const byId = new Map(specs.map((c) => [c.id, c]));

  return (
    <div className={p.hasCardsWhenNarrow ? 'table-wrap cards-when-narrow' : 'table-wrap'}>
      <Table
        aria-label={p.label}
        className="data-table"
        sortDescriptor={sortDescriptor}
        onRowAction={
          p.onRowAction
            ? (key) => {
                const row = rows.find((r) => r.id === key);
                if (row) p.onRowAction?.(row.original);
              }
            : undefined
        }
        onSortChange={(d) => {
          setSorting([{ id: String(d.column), desc: d.direction === 'descending' }]);
          setPagination((x) => ({ ...x, pageIndex: 0 }));
        }}
      >
        <TableHeader>
          {specs.map((c) => (
            <Column key={c.id} id={c.id} isRowHeader={c.isRowHeader} allowsSorting={!!c.sortValue}>
              {({ allowsSorting, sortDirection }) => (
                <span className="col-head">
                  {c.header}
                  {allowsSorting ? (
                    <span aria-hidden="true" className="sort">
                      {sortDirection === 'ascending'
                        ? ' ▲'
                        : sortDirection === 'descending'
                          ? ' ▼'
                          : ' ↕'}
                    </span>
                  ) : null}
                </span>
              )}
            </Column>
          ))}
        </TableHeader>
        <TableBody
          items={rows}
          renderEmptyState={() => <div className="state empty">{p.empty}</div>}
        >
          {(row) => (
            <Row id={row.id}>
              {specs.map((c) => (
                <Cell
                  key={c.id}
                  className={c.isActions ? 'cell-actions' : c.isRowHeader ? 'cell-head' : undefined}
                  textValue={String(byId.get(c.id)?.sortValue?.(row.original) ?? '')}
                >
                  {p.hasCardsWhenNarrow && !c.isRowHeader && !c.isActions ? (
                    <span className="cell-label">{c.header}: </span>
                  ) : null}
                  {c.cell(row.original)}
                </Cell>
              ))}
            </Row>
          )}
        </TableBody>
      </Table>
      {pageCount > 1 ? (
        <nav className="pager" aria-label={`${p.label} pages`}>
          <Button onPress={() => table.previousPage()} isDisabled={!table.getCanPreviousPage()}>
            Previous page
          </Button>
          <span aria-live="polite">
            Page {pagination.pageIndex + 1} of {pageCount}
          </span>
          <Button onPress={() => table.nextPage()} isDisabled={!table.getCanNextPage()}>
            Next page
          </Button>
        </nav>
      ) : null}
    </div>
  );
}
