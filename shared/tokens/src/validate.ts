// Internal: both adapters check arguments the same way, so switching adapters never changes what is accepted.

export function assertDeviceId (deviceId: unknown): void {
  if (typeof deviceId !== 'string' || deviceId.length === 0) throw new TypeError('deviceId must be a non-empty string')
}

export function assertVersion (version: unknown): void {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version <= 0) {
    throw new RangeError('version must be a positive safe integer')
  }
}
