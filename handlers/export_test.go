package handlers

// DecodeMemory lets the tests compare the estimate with what decoders
// really allocate.
var DecodeMemory = decodeMemory
