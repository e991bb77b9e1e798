"""Stories of the providers page: add a provider, check it, see its models in the pickers."""

from playwright.sync_api import expect

from accounts.models import Provider
from agents.provider_services import create_provider
from tests.browser.conftest import no_sideways_scroll, shot


def by_name(url: str) -> str:
    """The fake server's URL by the name the live server's outbound policy allows (127.0.0.1 itself is refused)."""
    return url.replace("127.0.0.1", "localhost")


def test_add_a_provider_pointing_at_an_openai_compatible_server_and_see_its_models(page, fake_openai):
    page.goto("/ade/")
    page.get_by_role("link", name="Providers").click()
    page.get_by_label("Kind").select_option("openai_compatible")
    page.get_by_label("Name").fill("local")
    page.get_by_label("Base URL").fill(by_name(fake_openai.base_url))
    page.get_by_label("API key").fill("sk-local-secret")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("status")).to_contain_text("Valid api key")
    page.get_by_role("button", name="Add provider").click()

    expect(page.get_by_text("Provider “local” added.")).to_be_visible()
    expect(page.get_by_role("cell", name="local", exact=True)).to_be_visible()
    assert "sk-local-secret" not in page.content()
    shot(page, "providers")
    page.get_by_role("link", name="Models of local").click()
    expect(page.get_by_text("local/gpt-4.1-mini")).to_be_visible()
    assert Provider.objects.get(name="local").api_key == "sk-local-secret"

    page.goto("/ade/new/")
    expect(page.get_by_label("Model", exact=True).locator('option[value="local/gpt-4o"]')).to_have_count(1)


def test_a_bad_base_url_is_refused_next_to_it(page):
    page.goto("/ade/providers/")
    page.get_by_label("Name").fill("broken")
    page.get_by_label("Base URL").fill("ftp://example")
    page.get_by_role("button", name="Add provider").click()
    expect(page.locator("#id_base_url_error")).to_contain_text("must start with http:// or https://")
    expect(page.get_by_label("Name")).to_have_value("broken")
    assert not Provider.objects.exists()


def test_check_a_saved_provider_then_delete_it_after_confirming(page, org, fake_openai):
    old = create_provider(
        organization_id=org.id, name="old", provider_type="openai_compatible", base_url=by_name(fake_openai.base_url)
    )
    page.goto("/ade/providers/")
    page.get_by_role("button", name="Check old").click()
    expect(page.locator(f"#check-{old.id}")).to_contain_text("✓ Valid api key")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete old").click()
    expect(page.get_by_role("button", name="Delete old")).to_have_count(0)
    assert not Provider.objects.exists()


def test_the_providers_page_fits_a_phone(phone):
    phone.goto("/ade/providers/")
    expect(phone.get_by_role("heading", name="Add a provider")).to_be_visible()
    assert no_sideways_scroll(phone)
