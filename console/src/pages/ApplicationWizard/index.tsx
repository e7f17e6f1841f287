export default function ApplicationWizard() {
  return <div>ApplicationWizard</div>;
}
