/** A configuration value is missing or invalid. Thrown at start, never at first use. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_ERR_INVALID'
  override name = 'ConfigError'
}
