/* The course step written by hand in C: the limit line of benchmarks/native.py.
 *
 * MLP 2 -> 5 -> 4 -> 1, tanh after the hidden layers, L1 loss on one sample, SGD with
 * momentum (PyTorch's rule: the buffer starts as the first gradient). Parameters are laid
 * out as micrograd44's named_parameters(): for each layer, for each neuron, its weights
 * then its bias. No finiteness checks: the fastest honest loop of the same arithmetic.
 */
#include <math.h>

#define IN 2
#define H1 5
#define H2 4
#define P ((IN + 1) * H1 + (H1 + 1) * H2 + (H2 + 1))

void course_steps(const double *samples, const long *order, long steps, double lr, double momentum,
                  double *p, double *buffer, int *first, double *losses)
{
    double g[P];
    long step;
    for (step = 0; step < steps; step++) {
        const double *s = samples + 3 * order[step];
        double h1[H1], h2[H2], d1[H1], d2[H2], out, error, d_out;
        int i, j, k;
        /* forward */
        for (j = 0; j < H1; j++) {
            const double *w = p + j * (IN + 1);
            h1[j] = tanh(w[0] * s[0] + w[1] * s[1] + w[IN]);
        }
        for (j = 0; j < H2; j++) {
            const double *w = p + (IN + 1) * H1 + j * (H1 + 1);
            double z = w[H1];
            for (i = 0; i < H1; i++)
                z += w[i] * h1[i];
            h2[j] = tanh(z);
        }
        {
            const double *w = p + (IN + 1) * H1 + (H1 + 1) * H2;
            out = w[H2];
            for (i = 0; i < H2; i++)
                out += w[i] * h2[i];
        }
        error = out - s[2];
        losses[step] = fabs(error);
        /* backward */
        d_out = error > 0.0 ? 1.0 : (error < 0.0 ? -1.0 : 0.0);
        {
            const double *w = p + (IN + 1) * H1 + (H1 + 1) * H2;
            double *gw = g + (IN + 1) * H1 + (H1 + 1) * H2;
            for (i = 0; i < H2; i++) {
                gw[i] = h2[i] * d_out;
                d2[i] = w[i] * d_out * (1.0 - h2[i] * h2[i]);
            }
            gw[H2] = d_out;
        }
        for (i = 0; i < H1; i++)
            d1[i] = 0.0;
        for (j = 0; j < H2; j++) {
            const double *w = p + (IN + 1) * H1 + j * (H1 + 1);
            double *gw = g + (IN + 1) * H1 + j * (H1 + 1);
            for (i = 0; i < H1; i++) {
                gw[i] = h1[i] * d2[j];
                d1[i] += w[i] * d2[j];
            }
            gw[H1] = d2[j];
        }
        for (j = 0; j < H1; j++) {
            double d = d1[j] * (1.0 - h1[j] * h1[j]);
            double *gw = g + j * (IN + 1);
            gw[0] = s[0] * d;
            gw[1] = s[1] * d;
            gw[IN] = d;
        }
        /* SGD with momentum */
        for (k = 0; k < P; k++) {
            buffer[k] = *first ? g[k] : momentum * buffer[k] + g[k];
            p[k] -= lr * buffer[k];
        }
        *first = 0;
    }
}
