def test_logged_in_person_reaches_the_dashboard_in_french(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    assert "Tableau de bord" in response.text or "Bonjour" in response.text
