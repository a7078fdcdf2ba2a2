/** What the page server-side hands the client in `<script type="application/json" id="dashboard-config">`. */
export interface DashboardConfig {
  /** Where reads go: GET `${endpoint}?documentId=…&variables=…`. */
  endpoint: string;
  /** The live changes stream (graphql-sse, distinct connections). */
  streamEndpoint: string;
  /** Trusted-document ids of the operations the page sends. */
  documents: Record<'Dashboard' | 'WardMapping' | 'WardFilters' | 'DashboardChanges', string>;
}
