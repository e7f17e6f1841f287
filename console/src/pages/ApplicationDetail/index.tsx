export default function ApplicationDetail() {
  return <div>ApplicationDetail</div>;
}
