"""ConfigurationReadout: one frame (an exported CV) takes plain reductions, batches take PyG's scatters."""

import torch

from latentcv.nn.readout import ConfigurationReadout


def test_one_frame_equals_the_same_frame_in_a_batch() -> None:
    """A frame read out alone (softmax and sums over all its molecules) gives the latent and the
    gradients it gets inside a batch of three frames (segment softmax and scatters), to 1e-12 in
    float64, also when compiled and frozen as openmm-torch runs it."""
    torch.manual_seed(0)
    readout = ConfigurationReadout(node_dim=8, latent_dim=3).double().eval()
    frozen = torch.jit.freeze(torch.jit.script(readout))
    n_mol = 20
    batch = torch.randn(3 * n_mol, 8, dtype=torch.float64, requires_grad=True)
    frame = torch.arange(3).repeat_interleave(n_mol)
    z_batch = readout(batch, frame, 3)
    (z_batch[1] ** 2).sum().backward()
    for module in (readout, frozen, frozen):  # the frozen module's second call runs its optimised graph
        one = batch[n_mol:2 * n_mol].detach().clone().requires_grad_(True)
        z = module(one, torch.zeros(n_mol, dtype=torch.long), 1)
        (z[0] ** 2).sum().backward()
        torch.testing.assert_close(z[0], z_batch[1], rtol=0, atol=1e-12)
        torch.testing.assert_close(one.grad, batch.grad[n_mol:2 * n_mol], rtol=0, atol=1e-12)


def test_equal_scores_attend_like_the_mean() -> None:
    """The attention part is a softmax over a frame's molecules: with every molecule scored alike
    (the score network's last layer zeroed) it is the mean, and z projects [mean h, mean h]."""
    torch.manual_seed(1)
    readout = ConfigurationReadout(node_dim=4, latent_dim=2).double()
    with torch.no_grad():
        last = readout.score[-1]
        last.weight.zero_()
        last.bias.zero_()
    h = torch.randn(6, 4, dtype=torch.float64)
    uniform = readout(h, torch.zeros(6, dtype=torch.long), 1)
    expected = readout.project(torch.cat([h.mean(0), h.mean(0)]).unsqueeze(0))
    torch.testing.assert_close(uniform, expected, rtol=0, atol=1e-12)


def test_the_mean_readout_mixes_parts_by_their_molecule_counts() -> None:
    """``readout: mean``: z of a frame made of two parts is the molecule-weighted mean of the parts'
    latents (any linear CV of z is then linear in the parts' fractions); one frame equals the
    same frame in a batch."""
    torch.manual_seed(2)
    readout = ConfigurationReadout(node_dim=5, latent_dim=3, mode="mean").double()
    a, b = torch.randn(12, 5, dtype=torch.float64), torch.randn(36, 5, dtype=torch.float64)
    one = torch.zeros(48, dtype=torch.long)
    mixed = readout(torch.cat([a, b]), one, 1)
    z_a, z_b = readout(a, one[:12], 1), readout(b, one[:36], 1)
    torch.testing.assert_close(mixed, 0.25 * z_a + 0.75 * z_b, rtol=0, atol=1e-12)
    batch = readout(torch.cat([a, b, b]), torch.arange(3).repeat_interleave(torch.tensor([12, 36, 36])), 3)
    torch.testing.assert_close(batch[1], z_b[0], rtol=0, atol=1e-12)
