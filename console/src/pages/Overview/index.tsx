export default function Overview() {
  return <div>Overview</div>;
}
