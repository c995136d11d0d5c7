"""A demo-like community for the partition's service, view and browser tests: web.demo's generator with
a shape big enough for a few groups (about 250 households), its deliberate warnings included (a cell
of 3, one of 17, households in no cell yet, 空挂户)."""

from web.demo import CommunityShape, DemoShape, EstateShape, demo_build

SEED = 11

SHAPE = DemoShape(
    communities=(
        CommunityShape(
            name="幸福社区",
            code="xf",
            areas=2,
            groups=4,
            cells=24,
            cell_sizes=(9, 10, 11, 12),
            estates=(
                EstateShape("金桂苑", floors=9, entrances=2, rooms_per_floor=2, weight=0.6),
                EstateShape("枫林小区", floors=6, entrances=2, rooms_per_floor=2, weight=0.4),
            ),
            registered_only=3,
            unplaced=4,
            staff=2,
            residents_with_login=2,
            warnings=True,
        ),
        CommunityShape(
            name="和平社区",
            code="hp",
            areas=1,
            groups=1,
            cells=3,
            cell_sizes=(6, 7),
            estates=(EstateShape("和平新村", floors=6, entrances=2, rooms_per_floor=2, weight=1.0),),
            registered_only=1,
            unplaced=1,
            staff=1,
            residents_with_login=1,
        ),
    )
)


def build_world():
    """The demo street of SHAPE; returns web.demo's plan (its units and users are saved)."""
    return demo_build(SHAPE, seed=SEED)
