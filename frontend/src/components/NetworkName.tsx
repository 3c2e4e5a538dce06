import { Link } from 'wouter';
import { paths } from '../lib/paths';

/**
 * NetworkName shows a network as people name it: its handle (kept along
 * its lineage, "N-0042") as the link, then its one-line label. The id stays
 * in the link target and the tooltip, for the API.
 */
export function NetworkName({ network, link = true }: { network: { id: string; handle: string; label: string }; link?: boolean }) {
  const h = link ? (
    <Link href={paths.network(network.id)} className="mono handle" title={network.id}>
      {network.handle}
    </Link>
  ) : (
    <span className="mono handle" title={network.id}>
      {network.handle}
    </span>
  );
  return (
    <>
      {h}
      {network.label && <span className="network-label muted small"> {network.label}</span>}
    </>
  );
}
