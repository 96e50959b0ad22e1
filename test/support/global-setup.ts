// Replaced by the database harness: starts one PostgreSQL for the whole run.
export default function setup(): void {}
