/**
 * Row editors for the Kustomize lists (substitutions, images, patches), used for the base and
 * for each target's overrides. Each cell is the form's field at its path under `prefix`, e.g.
 * `spec.kustomize.substitute[0].key`; adding and removing rows changes the whole list.
 */
import { Button } from '@kubed/components';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { FormField, type FormBinding } from '../../components/Field';
import type { ImageRow, KeyValue, PatchRow } from './model';

const Row = styled.div`
  display: flex;
  gap: 6px;
  align-items: flex-start;
  margin-bottom: 6px;
  > .cell {
    flex: 1;
    min-width: 0;
  }
`;

const Title = styled.div`
  font-weight: 600;
  font-size: 12px;
  color: #36435c;
  margin: 10px 0 4px;
`;

/** What each row editor gets: the form, the list's path prefix, its rows and how to replace them. */
interface RowsProps<T> {
  form: FormBinding;
  prefix: string;
  rows: T[];
  onChange: (rows: T[]) => void;
}

/** A cell: the form's field at `path`, without a label. */
function Cell({ form, path, placeholder }: { form: FormBinding; path: string; placeholder: string }) {
  return (
    <div className="cell">
      <FormField form={form} path={path} placeholder={placeholder} ariaLabel={placeholder} />
    </div>
  );
}

/** Substitution rows (`${name}` → value). */
export function SubstituteRows({ form, prefix, rows, onChange }: RowsProps<KeyValue>) {
  const { t } = useTranslation();
  return (
    <div data-testid={`${prefix}.substitute`}>
      <Title>{t('Substitutions')}</Title>
      {rows.map((_, i) => {
        const n = `${prefix}.substitute[${i}]`;
        return (
          <Row key={i}>
            <Cell form={form} path={`${n}.key`} placeholder={t('Variable')} />
            <Cell form={form} path={`${n}.value`} placeholder={t('Value')} />
            <Button size="sm" variant="text" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              {t('Remove')}
            </Button>
          </Row>
        );
      })}
      <Button size="sm" onClick={() => onChange([...rows, { key: '', value: '' }])}>
        {t('Add substitution')}
      </Button>
    </div>
  );
}

/** Image rows (name, new name, new tag). */
export function ImageRows({ form, prefix, rows, onChange }: RowsProps<ImageRow>) {
  const { t } = useTranslation();
  return (
    <div data-testid={`${prefix}.images`}>
      <Title>{t('Images')}</Title>
      {rows.map((_, i) => {
        const n = `${prefix}.images[${i}]`;
        return (
          <Row key={i}>
            <Cell form={form} path={`${n}.name`} placeholder={t('Image name')} />
            <Cell form={form} path={`${n}.newName`} placeholder={t('New name')} />
            <Cell form={form} path={`${n}.newTag`} placeholder={t('New tag')} />
            <Button size="sm" variant="text" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              {t('Remove')}
            </Button>
          </Row>
        );
      })}
      <Button size="sm" onClick={() => onChange([...rows, { name: '', newName: '', newTag: '', digest: '' }])}>
        {t('Add image')}
      </Button>
    </div>
  );
}

/** Patches: the patch text and an optional target selector, both YAML. */
export function PatchRows({ form, prefix, rows, onChange }: RowsProps<PatchRow>) {
  const { t } = useTranslation();
  return (
    <div data-testid={`${prefix}.patches`}>
      <Title>{t('Patches')}</Title>
      {rows.map((_, i) => {
        const n = `${prefix}.patches[${i}]`;
        return (
          <div key={i} style={{ marginBottom: 8 }}>
            <Row>
              <div className="cell">
                <FormField
                  form={form}
                  path={`${n}.patch`}
                  control="code"
                  ariaLabel={t('Patch')}
                  placeholder={t('A strategic-merge or JSON 6902 patch (YAML)')}
                  style={{ minHeight: 90 }}
                />
              </div>
              <Button size="sm" variant="text" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                {t('Remove')}
              </Button>
            </Row>
            <FormField
              form={form}
              path={`${n}.target`}
              control="code"
              ariaLabel={t('Patch target')}
              placeholder={t('Target (optional), e.g. kind: Deployment')}
              style={{ minHeight: 40 }}
            />
          </div>
        );
      })}
      <Button size="sm" onClick={() => onChange([...rows, { patch: '', target: '' }])}>
        {t('Add patch')}
      </Button>
    </div>
  );
}
