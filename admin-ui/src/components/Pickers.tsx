// The option lists the forms choose from: stored datasets and registered model versions (name/version).
import { api } from '../api';
import { modelKey, type DatasetSummary, type ModelDetails } from '../types';
import { useLoad } from './Common';

export function useDatasets() {
  return useLoad(() => api.get<DatasetSummary[]>('/api/v1/datasets'), []);
}

/** The registered versions as "name/version", in the server's order. */
export function useModelKeys(): string[] {
  const models = useLoad(() => api.get<ModelDetails[]>('/api/v1/models'), []);
  return models.data?.map((m) => modelKey(m.version.id)) ?? [];
}

export function DatasetOptions({ datasets }: { datasets: DatasetSummary[] | null }) {
  return <>{datasets?.map((d) => <option key={d.id} value={d.name}>{d.name}</option>)}</>;
}

export function ModelOptions({ keys }: { keys: string[] }) {
  return <>{keys.map((k) => <option key={k} value={k}>{k}</option>)}</>;
}
