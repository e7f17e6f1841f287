import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';

const Tag = styled.span`
  display: inline-block;
  font-size: 11px;
  line-height: 16px;
  padding: 0 6px;
  border-radius: 8px;
  white-space: nowrap;
  vertical-align: middle;
  background: #eff4f9;
  color: #36435c;
  &[data-mode='agent'] {
    background: #e8f1fd;
    color: #1c5fb8;
  }
`;

/** What a delivery mode means, in a few words. */
export function modeText(mode: string | null | undefined, t: TFunction): string {
  return mode === 'agent'
    ? t('This cluster’s own Flux deploys what ksflux applies here')
    : t('The host’s Flux deploys here');
}

/**
 * A cluster's (or a target's) delivery mode as a small tag: Hub (the host's Flux reaches the
 * cluster) or Agent (the cluster's own Flux runs what ksflux applies there). Anything but
 * `agent` is hub, as before clusters had a mode.
 */
export function ModeTag({ mode, testId }: { mode: string | null | undefined; testId?: string }) {
  const { t } = useTranslation();
  const agent = mode === 'agent';
  return (
    <Tag data-mode={agent ? 'agent' : 'hub'} data-testid={testId} title={modeText(mode, t)}>
      {agent ? t('Agent') : t('Hub')}
    </Tag>
  );
}
