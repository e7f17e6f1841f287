import { Button, Card, InputPassword } from '@kubed/components';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import styled from 'styled-components';
import { ApiError, get, setToken } from '../../api/client';
import type { User } from '../../api/types';
import { Field } from '../../components/Field';
import { useDocumentTitle } from '../../components/Page';
import { LanguageSelect } from '../../components/LanguageSelect';

const Wrap = styled.main`
  min-height: 100vh;
  display: flex;
  align-items: center;
  justify-content: center;
  background: #242e42;
  .login {
    width: 420px;
  }
  h1 {
    font-size: 22px;
    margin: 0 0 4px;
  }
  p {
    color: #5f708a;
    margin: 0 0 20px;
    font-size: 12px;
  }
`;

/** Log in with a Kubernetes bearer token (checked by the server with a TokenReview). */
export default function Login() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [token, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useDocumentTitle(t('Log in'));

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!token.trim()) {
      setError('Required');
      return;
    }
    setBusy(true);
    setToken(token.trim());
    try {
      const user = await get<User>('/whoami');
      qc.setQueryData(['whoami'], user);
      navigate('/');
    } catch (err) {
      setToken(null);
      setError(err instanceof ApiError && err.status === 401 ? 'The token was not accepted' : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Wrap>
      <Card className="login" padding={32}>
        <form onSubmit={submit}>
          <h1>ksflux</h1>
          <p>{t('Log in with a Kubernetes token.')}</p>
          <Field label={t('Token')} name="token" error={error}>
            <InputPassword
              id="token"
              name="token"
              value={token}
              autoFocus
              onChange={(e: React.ChangeEvent<HTMLInputElement>) => {
                setValue(e.target.value);
                setError(undefined);
              }}
            />
          </Field>
          <Button type="submit" color="primary" block loading={busy}>
            {t('Log in')}
          </Button>
          <div style={{ marginTop: 16 }}>
            <LanguageSelect />
          </div>
        </form>
      </Card>
    </Wrap>
  );
}
