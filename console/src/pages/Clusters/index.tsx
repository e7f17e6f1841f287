export default function Clusters() {
  return <div>Clusters</div>;
}
