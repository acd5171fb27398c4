@preflight @post-install
Feature: Each role sees what it should, and nothing more
  Clients notice most when the wrong people see the wrong things. Every
  role logs in once per run; all cells of the matrix are checked at once.

  Scenario: The access matrix holds
    Then the access matrix should hold:
      | path        | anonymous | viewer  | clerk   | admin   |
      | /           | allowed   | allowed | allowed | allowed |
      | /dashboard/ | login     | allowed | allowed | allowed |
      | /reports/   | login     | denied  | allowed | allowed |
      | /admin/     | login     | denied  | denied  | allowed |

  Scenario: Only administrators are offered the admin area
    Then "viewer" should not see "Admin" on "/dashboard/"
    And "clerk" should not see "Admin" on "/dashboard/"
    But "admin" should see "Admin" on "/dashboard/"

  Scenario: A clerk opens the monthly reports
    Given I am logged in as "clerk"
    When I request "/reports/"
    Then the response status should be 200
    And the response should contain "Monthly reports"
    And the role "clerk" should have access to "/reports/"
    And the role "viewer" should not have access to "/reports/"
