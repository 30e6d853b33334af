/** Quickstart records holding JSON integers beyond 2^53, as text (JSON.stringify cannot write them): the big-integer tests' input. */
const M = '[5.1,3.5,1.4,0.2]';

export const BIG_INTEGER_LINES = [
  `{"id":12345678901234567890,"big":12345678901234567890,"measurements":${M}}`,
  `{"id":9007199254740993,"big":[9007199254740993,-9223372036854775808],"measurements":${M}}`,
  `{"id":9007199254740992,"big":0.12345678901234567891,"measurements":${M}}`,
  // A feature from a big integer is the float32 JSON.parse gives; a string of digits stays a string.
  `{"id":"s","big":"12345678901234567890","measurements":[12345678901234567890,3.5,1.4,0.2]}`,
  // A record that fails still carries its exact key.
  `{"id":12345678901234567891,"big":1,"measurements":[1]}`,
];
