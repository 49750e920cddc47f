/* Access to the optimizer state, for checkpoints that resume bit for bit. */
#include "nn/model_internal.h"

float *cryptonn_model_velocity(cryptonn_model *m) { return m->vel; }
