# %% receptive_field
import math


def receptive_field(layers):
    """Follow the inputs that two neighbouring units read, layer by layer down."""
    specs = []
    for layer in layers:
        if isinstance(layer, dict):
            specs.append(
                (layer["kernel_size"], layer.get("stride", 1), layer.get("dilation", 1))
            )
        else:
            specs.append(tuple(layer) + (1,) * (3 - len(layer)))
    seen = {0}  # positions read by unit 0 of the last layer
    nxt = {1}  # positions read by its neighbour, unit 1
    for k, s, d in reversed(specs):
        seen = {p * s + t * d for p in seen for t in range(k)}
        nxt = {p * s + t * d for p in nxt for t in range(k)}
    rf = max(seen) - min(seen) + 1
    jump = min(nxt) - min(seen)
    return (rf, jump)


# %% count_parameters
def count_parameters(c_in, c_out, kernel_size, groups=1, bias=True):
    """Make the layer's arrays (all zeros) and count their elements."""
    if not isinstance(groups, int) or groups < 1:
        raise ValueError("groups must be a positive int")
    if c_in % groups or c_out % groups:
        raise ValueError("groups does not divide the channels")
    kh, kw = (
        kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
    )
    weight = np.zeros((c_out, c_in // groups, kh, kw), dtype=np.int8)
    b = np.zeros(c_out if bias else 0, dtype=np.int8)
    return weight.size + b.size


# %% count_macs
def count_macs(c_in, c_out, kernel_size, output_size, groups=1):
    """math.prod over the output's shape and the terms of each dot product."""
    if not isinstance(groups, int) or groups < 1:
        raise ValueError("groups must be a positive int")
    if c_in % groups or c_out % groups:
        raise ValueError("groups does not divide the channels")

    def two(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    return math.prod((c_out, *two(output_size), c_in // groups, *two(kernel_size)))
