/**
 * The driver under a `ChatDatabase`, reduced to what the stores' hot paths need: constant SQL text with `$n`
 * parameters, run as a statement the driver may prepare once per connection and reuse.
 *
 * Why not `db.execute(sql`…`)`: drizzle runs raw SQL through postgres.js as an unnamed statement, and postgres.js
 * then needs a Parse/Describe round trip to learn the parameter types before every Bind; a named prepared statement
 * skips it after its first use on a connection (measured on localhost: 150 µs vs 90 µs per simple query).
 *
 * Rows are plain objects keyed by column name. Values come as each driver parses them, and the two differ (int8:
 * string vs number; timestamptz: string vs Date), so the stores' SQL casts what it returns to int4, text or uuid and
 * formats timestamps with to_char.
 */
export interface SqlQueryable {
  query<Row extends object> (text: string, params?: readonly unknown[]): Promise<Row[]>
}

export interface SqlClient extends SqlQueryable {
  /**
   * Runs `fn` in one transaction (READ COMMITTED) on one connection: committed when `fn` resolves, rolled back when
   * it throws (the error is rethrown).
   */
  transaction<T> (fn: (tx: SqlQueryable) => Promise<T>): Promise<T>
}
