import { href } from '../lib/route';

/**
 * NetworkName shows a network as people name it: its handle (kept along
 * its lineage, "N-0042") as the link, then its one-line label. The id stays
 * in the link target and the tooltip, for the API.
 */
export function NetworkName({ network, link = true }: { network: { id: string; handle: string; label: string }; link?: boolean }) {
  const h = link ? (
    <a href={href.network(network.id)} className="mono handle" title={network.id}>
      {network.handle}
    </a>
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
