/**
 * Row editors for the Kustomize lists (substitutions, images, patches), used for the base and
 * for each target's overrides. Inputs are named by field path under `prefix`, e.g.
 * `spec.kustomize.substitute[0].key`.
 */
import { Button, Input } from '@kubed/components';
import type { ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { CodeArea, translateMessage } from '../../components/Field';
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

const Err = styled.div`
  font-size: 12px;
  color: #ca2621;
  margin-top: 2px;
`;

const Title = styled.div`
  font-weight: 600;
  font-size: 12px;
  color: #36435c;
  margin: 10px 0 4px;
`;

type OnInput = ChangeEvent<HTMLInputElement>;

function FieldError({ errors, name }: { errors: Record<string, string>; name: string }) {
  const { t } = useTranslation();
  const e = errors[name];
  return e ? (
    <Err role="alert" data-error-for={name}>
      {translateMessage(t, e)}
    </Err>
  ) : null;
}

function update<T>(list: T[], i: number, patch: Partial<T>): T[] {
  return list.map((x, j) => (j === i ? { ...x, ...patch } : x));
}

/** Substitution rows (`${name}` → value). */
export function SubstituteRows({
  prefix,
  rows,
  onChange,
  errors,
}: {
  prefix: string;
  rows: KeyValue[];
  onChange: (rows: KeyValue[]) => void;
  errors: Record<string, string>;
}) {
  const { t } = useTranslation();
  return (
    <div data-testid={`${prefix}.substitute`}>
      <Title>{t('Substitutions')}</Title>
      {rows.map((r, i) => {
        const n = `${prefix}.substitute[${i}]`;
        return (
          <Row key={i}>
            <div className="cell">
              <Input
                id={`${n}.key`}
                name={`${n}.key`}
                placeholder={t('Variable')}
                value={r.key}
                onChange={(e: OnInput) => onChange(update(rows, i, { key: e.target.value }))}
              />
              <FieldError errors={errors} name={`${n}.key`} />
            </div>
            <div className="cell">
              <Input
                id={`${n}.value`}
                name={`${n}.value`}
                placeholder={t('Value')}
                value={r.value}
                onChange={(e: OnInput) => onChange(update(rows, i, { value: e.target.value }))}
              />
            </div>
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
export function ImageRows({
  prefix,
  rows,
  onChange,
  errors,
}: {
  prefix: string;
  rows: ImageRow[];
  onChange: (rows: ImageRow[]) => void;
  errors: Record<string, string>;
}) {
  const { t } = useTranslation();
  return (
    <div data-testid={`${prefix}.images`}>
      <Title>{t('Images')}</Title>
      {rows.map((r, i) => {
        const n = `${prefix}.images[${i}]`;
        return (
          <Row key={i}>
            <div className="cell">
              <Input
                id={`${n}.name`}
                name={`${n}.name`}
                placeholder={t('Image name')}
                value={r.name}
                onChange={(e: OnInput) => onChange(update(rows, i, { name: e.target.value }))}
              />
              <FieldError errors={errors} name={`${n}.name`} />
            </div>
            <div className="cell">
              <Input
                id={`${n}.newName`}
                name={`${n}.newName`}
                placeholder={t('New name')}
                value={r.newName}
                onChange={(e: OnInput) => onChange(update(rows, i, { newName: e.target.value }))}
              />
            </div>
            <div className="cell">
              <Input
                id={`${n}.newTag`}
                name={`${n}.newTag`}
                placeholder={t('New tag')}
                value={r.newTag}
                onChange={(e: OnInput) => onChange(update(rows, i, { newTag: e.target.value }))}
              />
            </div>
            <Button size="sm" variant="text" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              {t('Remove')}
            </Button>
          </Row>
        );
      })}
      <Button
        size="sm"
        onClick={() => onChange([...rows, { name: '', newName: '', newTag: '', digest: '' }])}
      >
        {t('Add image')}
      </Button>
    </div>
  );
}

/** Patches: the patch text and an optional target selector, both YAML. */
export function PatchRows({
  prefix,
  rows,
  onChange,
  errors,
}: {
  prefix: string;
  rows: PatchRow[];
  onChange: (rows: PatchRow[]) => void;
  errors: Record<string, string>;
}) {
  const { t } = useTranslation();
  return (
    <div data-testid={`${prefix}.patches`}>
      <Title>{t('Patches')}</Title>
      {rows.map((r, i) => {
        const n = `${prefix}.patches[${i}]`;
        return (
          <div key={i} style={{ marginBottom: 8 }}>
            <Row>
              <div className="cell">
                <CodeArea
                  id={`${n}.patch`}
                  name={`${n}.patch`}
                  aria-label={t('Patch')}
                  placeholder={t('A strategic-merge or JSON 6902 patch (YAML)')}
                  style={{ minHeight: 90 }}
                  value={r.patch}
                  onChange={(e) => onChange(update(rows, i, { patch: e.target.value }))}
                />
                <FieldError errors={errors} name={`${n}.patch`} />
              </div>
              <Button size="sm" variant="text" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                {t('Remove')}
              </Button>
            </Row>
            <CodeArea
              id={`${n}.target`}
              name={`${n}.target`}
              aria-label={t('Patch target')}
              placeholder={t('Target (optional), e.g. kind: Deployment')}
              style={{ minHeight: 40 }}
              value={r.target}
              onChange={(e) => onChange(update(rows, i, { target: e.target.value }))}
            />
            <FieldError errors={errors} name={`${n}.target`} />
          </div>
        );
      })}
      <Button size="sm" onClick={() => onChange([...rows, { patch: '', target: '' }])}>
        {t('Add patch')}
      </Button>
    </div>
  );
}
