"""Story: an agent on a llama.cpp-style model whose server says nothing of its window. The ADE marks the window as
guessed and links to the provider's models page; setting the window there removes the mark."""

from playwright.sync_api import expect

from agents.provider_services import create_provider
from tests.browser.conftest import no_sideways_scroll

GGUF = "/models/gemma-3-270m-it-Q4_K_M.gguf"


def test_a_guessed_window_is_marked_until_it_is_set_on_the_provider(page, org, make_agent, fake_openai):
    fake_openai.models = [GGUF]
    base_url = fake_openai.base_url.replace("127.0.0.1", "localhost")  # the live server's policy allows this name
    create_provider(organization_id=org.id, name="local", provider_type="openai_compatible", base_url=base_url)
    agent = make_agent(name="small", model="local/gemma-3-270m-it-Q4_K_M")

    page.goto(f"/ade/agents/{agent.id}/settings/")
    note = page.get_by_role("note")
    expect(note).to_contain_text("guessed: the server did not say")
    expect(page.get_by_label("Model", exact=True).locator("option:checked")).to_have_text(
        "local/gemma-3-270m-it-Q4_K_M (window guessed)"
    )
    note.get_by_role("link", name="set it on the provider").click()

    expect(page.get_by_role("heading", name="Models of local")).to_be_visible()
    row = page.locator("li.model-row", has_text=GGUF)
    expect(row).to_contain_text("guessed")
    row.get_by_label("Context window (tokens)").fill("6000")
    row.get_by_label("Alias").fill("gemma/270m")
    row.get_by_role("button", name=f"Save the settings of {GGUF}").click()
    expect(page.locator("li.model-row", has_text=GGUF).locator(".field-error")).to_contain_text("without '/'")
    page.locator("li.model-row", has_text=GGUF).get_by_label("Alias").fill("")
    page.locator("li.model-row", has_text=GGUF).get_by_role("button", name=f"Save the settings of {GGUF}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Settings of {GGUF} saved")
    expect(page.locator("li.model-row", has_text=GGUF)).to_contain_text("6,000 tokens")
    expect(page.locator("li.model-row", has_text=GGUF)).not_to_contain_text("guessed")

    page.goto(f"/ade/agents/{agent.id}/")
    expect(page.locator("#context-window")).to_have_text("6,000")
    expect(page.get_by_role("note")).to_have_count(0)
    page.goto(f"/ade/agents/{agent.id}/settings/")
    expect(page.get_by_role("note")).to_have_count(0)


def test_the_models_page_fits_a_phone(phone, org, fake_openai):
    fake_openai.models = [GGUF, "gpt-4o"]
    base_url = fake_openai.base_url.replace("127.0.0.1", "localhost")
    create_provider(organization_id=org.id, name="local", provider_type="openai_compatible", base_url=base_url)
    phone.goto("/ade/providers/local/models/")
    expect(phone.get_by_role("heading", name="Chat models")).to_be_visible()
    assert no_sideways_scroll(phone)
