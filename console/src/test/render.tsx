import { KubedConfigProvider } from '@kubed/components';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';

/** A query client for tests: no retries, no console noise; `staleTime` as given. */
export function testClient(staleTime = 0): QueryClient {
  const quiet = () => undefined;
  return new QueryClient({
    defaultOptions: { queries: { retry: false, staleTime }, mutations: { retry: false } },
    logger: { log: quiet, warn: quiet, error: quiet },
  });
}

/** Renders `node` inside the kit's and react-query's providers (the client given or a new one). */
export function renderWithProviders(node: ReactNode, client: QueryClient = testClient()) {
  return render(
    <KubedConfigProvider>
      <QueryClientProvider client={client}>{node}</QueryClientProvider>
    </KubedConfigProvider>,
  );
}
