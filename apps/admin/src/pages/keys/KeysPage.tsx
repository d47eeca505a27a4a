import { useMemo, useState } from 'react';
import { useParams } from 'react-router';
import { ApiError } from '../../api/client';
import { useApiMutation, useApiQuery, useApiQueryClient } from '../../api/hooks';
import type { SigningKey } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { dateTime } from '../../components/format';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { Button } from '../../components/ui';
import { WithdrawConsequences } from './WithdrawConsequences';

const STATE_ORDER: Record<string, number> = { active: 0, next: 1, retired: 2, withdrawn: 3 };

const baseColumns: ColumnSpec<SigningKey>[] = [
  {
    id: 'kid',
    header: 'Key ID',
    isRowHeader: true,
    sortValue: (k) => k.kid,
    cell: (k) => <code className="kid">{k.kid}</code>,
  },
  {
    id: 'state',
    header: 'State',
    sortValue: (k) => STATE_ORDER[k.state] ?? 9,
    cell: (k) => k.state,
  },
  { id: 'alg', header: 'Algorithm', sortValue: (k) => k.alg, cell: (k) => k.alg },
  {
    id: 'createdAt',
    header: 'Created',
    sortValue: (k) => k.createdAt,
    cell: (k) => dateTime(k.createdAt),
  },
  {
    id: 'activatedAt',
    header: 'Activated',
    sortValue: (k) => k.activatedAt ?? '',
    cell: (k) => dateTime(k.activatedAt),
  },
  {
    id: 'retiredAt',
    header: 'Retired',
    sortValue: (k) => k.retiredAt ?? '',
    cell: (k) => dateTime(k.retiredAt),
  },
  {
    id: 'published',
    header: 'In the JWKS',
    sortValue: (k) => (k.isPublished ? 0 : 1),
    cell: (k) =>
      k.withdrawnAt
        ? `withdrawn ${dateTime(k.withdrawnAt)}`
        : k.isPublished
          ? k.publishUntil
            ? `until ${dateTime(k.publishUntil)}`
            : 'yes'
          : 'no',
  },
];

export default function KeysPage() {
  const { tenant = '' } = useParams();
  const keys = useApiQuery('listKeys', { path: { tenant } });
  const { setQueryData } = useApiQueryClient();
  const [confirm, setConfirm] = useState<'rotate' | 'force'>();
  const [withdrawing, setWithdrawing] = useState<SigningKey>();
  const rotate = useApiMutation('rotateKeys', {
    onSuccess: (data) => {
      setQueryData('listKeys', { path: { tenant } }, data);
      setConfirm(undefined);
    },
  });
  const withdraw = useApiMutation('withdrawKey', {
    onSuccess: (data) => {
      setQueryData('listKeys', { path: { tenant } }, data);
      setWithdrawing(undefined);
    },
  });
  const tooEarly = rotate.error instanceof ApiError && rotate.error.status === 409;
  const sorted = useMemo(() => keys.data ?? [], [keys.data]);
  const columns = useMemo<ColumnSpec<SigningKey>[]>(
    () => [
      ...baseColumns,
      {
        id: 'actions',
        header: 'Actions',
        cell: (k) =>
          k.state === 'withdrawn' ? null : (
            <div className="row-actions">
              <Button
                variant="danger"
                aria-label={`Withdraw key ${k.kid}`}
                onPress={() => setWithdrawing(k)}
              >
                Withdraw
              </Button>
            </div>
          ),
      },
    ],
    [],
  );
  return (
    <section aria-labelledby="keys-title">
      <div className="page-head">
        <h1 id="keys-title">Signing keys</h1>
        <Button variant="primary" onPress={() => setConfirm('rotate')}>
          Rotate keys
        </Button>
      </div>
      <p className="hint">
        The next key is published ahead of use so validators know it; rotating makes it active and
        keeps the old one published until its tokens have expired. Withdraw a key that leaked.
      </p>
      {keys.isPending ? (
        <Loading what="signing keys" />
      ) : keys.isError ? (
        <ErrorState error={keys.error} retry={() => void keys.refetch()} />
      ) : (
        <DataTable
          label="Signing keys"
          rows={sorted}
          columns={columns}
          rowId={(k) => k.kid}
          initialSort={{ id: 'state', desc: false }}
          empty="No keys yet: one is made with the tenant's first token."
        />
      )}
      <ConfirmDialog
        isOpen={!!confirm}
        onOpenChange={(o) => {
          if (!o) {
            setConfirm(undefined);
            rotate.reset();
          }
        }}
        title={confirm === 'force' ? 'Force the rotation?' : 'Rotate the signing keys?'}
        confirmLabel={confirm === 'force' ? 'Force rotation' : 'Rotate keys'}
        onConfirm={() => rotate.mutate({ path: { tenant }, body: { force: confirm === 'force' } })}
        isPending={rotate.isPending}
        error={rotate.error?.message}
      >
        {confirm === 'force' ? (
          <p>
            Validators that have not fetched the next key yet refuse new tokens until they refresh
            their JWKS. Do this for a leaked key only.
          </p>
        ) : (
          <p>
            New tokens are signed with the next key from now on; tokens already issued stay valid
            until they expire.
          </p>
        )}
        {tooEarly && confirm === 'rotate' ? (
          <Button
            variant="danger"
            onPress={() => {
              rotate.reset();
              setConfirm('force');
            }}
          >
            Force it anyway…
          </Button>
        ) : null}
      </ConfirmDialog>
      <ConfirmDialog
        isOpen={!!withdrawing}
        onOpenChange={(o) => {
          if (!o) {
            setWithdrawing(undefined);
            withdraw.reset();
          }
        }}
        title="Withdraw this key?"
        confirmLabel="Withdraw key"
        onConfirm={() => {
          if (withdrawing) withdraw.mutate({ path: { tenant, kid: withdrawing.kid } });
        }}
        isPending={withdraw.isPending}
        error={withdraw.error?.message}
      >
        {withdrawing ? <WithdrawConsequences target={withdrawing} /> : null}
      </ConfirmDialog>
    </section>
  );
}
