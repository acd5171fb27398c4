@preflight @post-install
Feature: The application reports itself healthy
  The health endpoint is what the load balancer and the monitoring look at.
  After an upgrade it must answer quickly and say that everything is fine.

  Scenario: The health endpoint answers with a healthy status
    When I request "/api/health"
    Then the response status should be 200
    And the response header "Content-Type" should contain "application/json"
    And the response JSON at "$.status" should be "ok"
    And the response JSON at "$.database" should be "ok"

  Scenario: The health endpoint answers quickly
    When I request "/api/health"
    Then the response should arrive within 2000 ms
