"""First look: every main page renders for a signed-in hub lead."""

from tests.web.conftest import post


def test_pages_render(web):
    north = web.world.nominate(2)
    client = web.client("lead")
    for path in ["/", "/specialists", f"/specialists/{north[0]}", "/nominations/new",
                 f"/specialists/{north[0]}/select", "/specialists.csv"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[-3000:])
    response = post(client, f"/specialists/{north[0]}/select", {}, f"/specialists/{north[0]}/select")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
