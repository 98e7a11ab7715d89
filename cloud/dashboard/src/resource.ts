// Loading a resource for a screen: the data, the error if any, and a way to load it again.
import { useCallback, useEffect, useState } from "preact/hooks";
import { type ApiError, get } from "./api.js";

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (nothing while it is null) and again whenever it changes or `reload` is called. */
export function useResource<T>(path: string | null): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({
    loading: path !== null,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    get<T>(path, abort.signal).then(
      (data) => setState({ data, loading: false }),
      (error: ApiError) => {
        if (!abort.signal.aborted) setState({ error, loading: false });
      },
    );
    return () => abort.abort();
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
