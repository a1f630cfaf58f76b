import { Center, Loader } from '@mantine/core';

/** While a whole page waits for its first data. */
export function PageLoader({ fullScreen = false }: { fullScreen?: boolean }) {
  return (
    <Center h={fullScreen ? '100dvh' : 240} aria-busy="true" aria-label="Loading">
      <Loader size="md" type="dots" />
    </Center>
  );
}
