export default function Sources() {
  return <div>Sources</div>;
}
