"""The sealed third of EmpatheticDialogues is chosen by row id alone, the same on every machine."""

from runner_up.nlu.report import ed_sealed


def test_the_sealed_part_is_a_third_and_fixed_by_the_id():
    ids = [f"hit:{n}_conv:{2 * n}" for n in range(3000)]
    sealed = [i for i in ids if ed_sealed(i)]
    assert 0.30 < len(sealed) / len(ids) < 0.37
    assert [i for i in ids if ed_sealed(i)] == sealed
    # Fixed by the hash of the id, not by the order or the run.
    assert not ed_sealed("hit:108_conv:217") and not ed_sealed("hit:1_conv:2")
    assert ed_sealed("hit:2_conv:4")
