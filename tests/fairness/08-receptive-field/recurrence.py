# %% receptive_field
def _layer(layer):
    """(kernel_size, stride, dilation) of a dict or a tuple."""
    if isinstance(layer, dict):
        return layer["kernel_size"], layer.get("stride", 1), layer.get("dilation", 1)
    k, s, d = (tuple(layer) + (1, 1))[:3]
    return k, s, d


def receptive_field(layers):
    """Forward recurrence: each layer widens the field by D(K-1) jumps."""
    rf, jump = 1, 1
    for layer in layers:
        k, s, d = _layer(layer)
        rf += d * (k - 1) * jump
        jump *= s
    return rf, jump


# %% count_parameters
def _kernel_area(kernel_size):
    if isinstance(kernel_size, (tuple, list)):
        kh, kw = kernel_size
        return kh * kw
    return kernel_size * kernel_size


def _check_groups(c_in, c_out, groups):
    if groups < 1:
        raise ValueError("groups must be a positive integer")
    if c_in % groups:
        raise ValueError("in_channels must be divisible by groups")
    if c_out % groups:
        raise ValueError("out_channels must be divisible by groups")


def count_parameters(c_in, c_out, kernel_size, groups=1, bias=True):
    """Weights (C_out, C_in / G, KH, KW) plus C_out biases."""
    _check_groups(c_in, c_out, groups)
    weights = c_out * (c_in // groups) * _kernel_area(kernel_size)
    return weights + (c_out if bias else 0)


# %% count_macs
def count_macs(c_in, c_out, kernel_size, output_size, groups=1):
    """One dot product of (C_in / G) KH KW terms per output value."""
    _check_groups(c_in, c_out, groups)
    if isinstance(output_size, (tuple, list)):
        h, w = output_size
    else:
        h = w = output_size
    return c_out * h * w * (c_in // groups) * _kernel_area(kernel_size)
