import { Link } from 'react-router-dom';
import { useTo } from '../../app/base';

/** A cluster's name, linking to its page. */
export function ClusterLink({ name }: { name: string }) {
  const to = useTo();
  return (
    <Link to={to(`/clusters/${encodeURIComponent(name)}`)} translate="no">
      {name}
    </Link>
  );
}
