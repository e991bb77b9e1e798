import pytest

from accounts import services


@pytest.fixture
def make_key(org):
    """Create a key (in the default organization unless told) and return (APIKey, plain key)."""

    def make(name="test", organization=None):
        return services.create_api_key(organization_id=(organization or org).id, name=name)

    return make
