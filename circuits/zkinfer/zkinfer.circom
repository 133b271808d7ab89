pragma circom 2.1.0;

// The whole zkinfer gadget library: include "zkinfer/zkinfer.circom".

include "bits.circom";
include "signed.circom";
include "rescale.circom";
include "relu.circom";
include "max.circom";
include "leaky.circom";
include "argmax.circom";
include "pwl.circom";
include "rescale-even.circom";
include "requantize.circom";
include "commitment.circom";
include "pack.circom";
