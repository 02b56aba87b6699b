# %% receptive_field
def receptive_field(layers):
    """[rf, jump] as a list: the field grows by (K_eff - 1) * jump per layer."""
    result = [1, 1]
    for layer in layers:
        spec = (
            dict(layer)
            if isinstance(layer, dict)
            else dict(zip(("kernel_size", "stride", "dilation"), layer))
        )
        k_eff = spec.get("dilation", 1) * (spec["kernel_size"] - 1) + 1
        result = [
            result[0] + (k_eff - 1) * result[1],
            result[1] * spec.get("stride", 1),
        ]
    return result


# %% count_parameters
def count_parameters(c_in, c_out, kernel_size, groups=1, bias=True):
    """A 0-d NumPy array."""
    if groups < 1 or c_in % groups != 0 or c_out % groups != 0:
        raise ValueError("groups must be positive and divide both channel counts")
    kh, kw = np.resize(np.asarray(kernel_size), 2)
    total = c_out * (c_in // groups) * kh * kw + c_out * int(bool(bias))
    return np.array(total)


# %% count_macs
def count_macs(c_in, c_out, kernel_size, output_size, groups=1):
    """A 0-d NumPy array."""
    if groups < 1 or c_in % groups != 0 or c_out % groups != 0:
        raise ValueError("groups must be positive and divide both channel counts")
    kh, kw = np.resize(np.asarray(kernel_size), 2)
    ho, wo = np.resize(np.asarray(output_size), 2)
    return np.array(ho * wo * c_out * (c_in // groups) * kh * kw)
