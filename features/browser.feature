@preflight @post-install @browser
Feature: The site works in a real browser
  People used to click through the live site after every upgrade. These
  scenarios do it for them in a headless Chromium, as each role would.

  Scenario: The home page welcomes visitors in the browser
    Given I am not logged in
    When I visit "/"
    Then I should see "Welcome to Ledger"
    And the page title should contain "Ledger"
    And the browser console should show no errors
    And the page should contain no forbidden content

  Scenario: A viewer's dashboard offers no admin area
    Given I am logged in as "viewer"
    When I visit "/dashboard/"
    Then I should see "Signed in as viewer"
    But I should not see "Admin"

  Scenario: A clerk clicks through to the monthly reports
    Given I am logged in as "clerk"
    When I visit "/dashboard/"
    And I click "Reports"
    Then I should be on "/reports/"
    And I should see "Monthly reports"
    And I should see an element matching "table tbody tr"
