@preflight @post-install
Feature: The public face of the site
  Visitors who are not logged in see a working home page, and nothing
  meant for developers or testers.

  Background:
    Given I am not logged in

  Scenario: The home page welcomes visitors
    When I request "/"
    Then the response status should be 200
    And the response should contain "Welcome to Ledger"
    And the response header "Content-Type" should contain "text/html"

  Scenario: The home page carries no test strings
    When I request "/"
    Then the response should not contain "Lorem ipsum"
    And the response should not contain "please ignore"

  Scenario: Private pages send visitors to the login page
    When I request "/dashboard/"
    Then the response should redirect to "/accounts/login/"
    And the response status should be 200
    And the response should contain "Log in"

  Scenario: Every answer carries the security headers
    When I request "/"
    Then the site should send the security headers
    And the response header "X-Powered-By" should not be present

  Scenario: Search engines may index the site but not its login and admin pages
    Then robots.txt should allow crawling "/"
    And robots.txt should disallow crawling "/admin/"
    And the page "/" should not be hidden from search engines
